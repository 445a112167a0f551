"""The team's screens: story hour, the story library and the feature-or-benefit card game."""
