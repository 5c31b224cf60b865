"""The HTTP side of the service: request parsing, authentication and JSON rendering only.
Decisions are made by the domain modules (`handoff.appointments` and friends)."""
