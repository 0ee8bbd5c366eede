"""Streamlit helpers shared by the pages: URL state, the live job view, lessons."""
