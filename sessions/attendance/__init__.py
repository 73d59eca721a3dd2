"""Attendance: who came to a session (the facilitator's sheet, members' own
check-in) and the streaks it gives each member (streaks.py, a pure function)."""
