"""Streamlit side: the topic registry, page state, the job panel, figures, navigation and lessons."""
