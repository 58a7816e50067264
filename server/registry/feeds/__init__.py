"""Registration and credit feeds: batches of changes from the data-sharing platform (docs/directory-feed.md)."""
