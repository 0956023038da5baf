"""Video: an episode's MP3 and sidecars -> an MP4 for YouTube and a video enclosure, short
captioned clips, and the text YouTube wants beside the file."""
