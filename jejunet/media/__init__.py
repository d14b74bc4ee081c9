"""Media helpers: the VOC palette, label PNGs."""
