"""The rasa-sdk action server of the KEP Connect bot (`python -m bot.actions.server`, which answers only Rasa).

One module per step of the conversation: triage (question → topic), booking_form (branch and
slot), identity_form (identity-check data), booking (summary, correction, booking), changes
(cancel and reschedule). They reach the data only through handoff_api.
"""
