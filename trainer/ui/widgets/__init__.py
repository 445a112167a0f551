"""Widgets every screen shares: the scorecard, the drill brief, the level meter, the message
banner, delivery charts, replay, the take comparison and the seller picker. They display what
they are given; none of them records, scores or stores anything."""
