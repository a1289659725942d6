"""Streamlit explorer of the index warehouse (read-only)."""
