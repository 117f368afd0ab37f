# What differs between releases of demo-upstream. The demo rewrites this file for dev builds:
# one changes the prompt sent to the provider (recordings no longer match), one renames the
# field of the answer (consumers relying on it break).
PROMPT_TEMPLATE = "Answer briefly: {message}"
REPLY_KEY = "reply"
