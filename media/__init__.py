"""Media layer: evidence files (photos, video, audio, signature images).

The processing and storage modules below are pure Python (no Flask, no
database), so the upload server, the sync mutators and command line tools
can all build on them:

- ``media.errors``      -- ``MediaError`` / ``StorageError`` with stable codes,
  Chinese messages and a suggested HTTP status.
- ``media.storage``     -- content-addressed, write-once byte storage
  (``Storage`` interface, ``FilesystemStorage``; S3-compatible later).
- ``media.sniff``       -- the real type of a file from its magic bytes.
- ``media.av``          -- cheap container facts for video/audio (duration).
- ``media.exif``        -- defensive EXIF reading (time, GPS, device).
- ``media.derivatives`` -- decoding limits and the display derivatives.
- ``media.colour``      -- mode, transparency and ICC handling for derivatives.
- ``media.isobmff``     -- bounded MP4/HEIF box reader (durations, truncation).
- ``media.processing``  -- the public facade re-exporting all of the above.

On top of them, inside the Flask application (plumbing only: extensions,
errors, authentication, audit -- never a domain feature):

- ``media.models``       -- ``media_uploads`` (tus bookkeeping) and
  ``media_objects`` (one row per client ``media_id``, pending until its
  bytes arrive).
- ``media.tus`` / ``media.uploads`` / ``media.ingest`` -- the tus 1.0.0
  server: headers, streaming chunks to disk, completion (verify, sniff,
  process, store).
- ``media.service``      -- what features call: ``attach``,
  ``record_claim``, ``evidence_status``, ``missing``, ``for_entity``.
- ``media.access``       -- ``register_policy``: features decide who else
  may read a media object (the uploader always may).
- ``media.api`` / ``media.files`` -- ``/api/v1/uploads/`` and
  ``/api/v1/media/…``; ``media.cli`` / ``media.housekeeping`` -- cleanup.

Originals are legal evidence and are kept byte-exact; everything this layer
derives from them (thumbnails, views, metadata) is for display and search.
"""
