"""The journeys built on the rubric: a practice take, live takes, progress, comparison,
written agendas, calls, roleplay, certification, the company profile, story hour and the
story library, and the feature/benefit card game."""
