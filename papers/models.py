# Models arrive with the papers issue.
