"""Deep Learning Interview Lab: the entry point. Run with `streamlit run app.py`."""

import streamlit as st

from ui.navigation import sections
from ui.page_state import note_page

st.set_page_config(page_title="Deep Learning Interview Lab", page_icon=":material/neurology:", layout="wide")
page = st.navigation(sections())
note_page(page.url_path)
page.run()
