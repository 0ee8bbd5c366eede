"""Deep Learning Interview Lab: the entry point. Run with `streamlit run app.py`."""

import streamlit as st

from ui.navigation import sections

st.set_page_config(page_title="Deep Learning Interview Lab", page_icon=":material/neurology:", layout="wide")
st.navigation(sections()).run()
