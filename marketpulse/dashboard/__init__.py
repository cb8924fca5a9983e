"""marketpulse dashboard: a Streamlit app over the `marts` schema (`make dashboard`)."""
