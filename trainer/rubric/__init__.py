"""What a take is judged against and how: drill files, the learned rubric judge and its
sentence encoder, feature or benefit, delivery coaching bands and scorecards."""
