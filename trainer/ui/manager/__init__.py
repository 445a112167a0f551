"""The manager's screens: the certification 1:1, the team's standing and the company profile."""
