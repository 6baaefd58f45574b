"""Packages and the IP pools they hand out."""
