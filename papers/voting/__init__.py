"""How the club's votes count: the backlog's options (a vote budget,
attendance-weighted votes: options.py, budget.py, weights.py) and voting
rounds with hidden tallies (rounds.py). Everything is off until an organizer
turns it on."""
