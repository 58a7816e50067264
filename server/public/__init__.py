"""What anyone may read without logging in: lists, plans, draws, results."""
