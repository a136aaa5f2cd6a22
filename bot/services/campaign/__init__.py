"""A site's and a province's campaign work: look-ups, exports, figures and announcements."""
