"""Media layer: evidence files (photos, video, audio, signature images).

Pure Python below the Flask application: nothing here imports Flask or the
database, so the tus upload server, the sync mutators and the command line
tools can all build on it.

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

Originals are legal evidence and are kept byte-exact; everything this layer
derives from them (thumbnails, views, metadata) is for display and search.
"""
