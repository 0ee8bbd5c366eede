"""Deep Learning Interview Lab: the entry point. Run with `streamlit run app.py`."""

import streamlit as st

from ui import auth, idle
from ui.navigation import sections
from ui.page_state import note_page

st.set_page_config(page_title="Deep Learning Interview Lab", page_icon=":material/neurology:", layout="wide")
if not auth.signed_in():  # only in classroom mode
    auth.sign_in_screen()
    st.stop()
auth.account_box()
page = st.navigation(sections(teacher=auth.is_teacher()))
note_page(page.url_path)
idle.watch()
page.run()
idle.after_page()
