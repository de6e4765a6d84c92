"""Formats that turn values into blob bytes and back, one module per format.

Each format names itself with a versioned encoding string (`pickle5/v1`) stored beside the
blob's key, and marks its blobs with magic bytes, so a reader can tell formats apart and a
later version can be added without breaking blobs already written.
"""
