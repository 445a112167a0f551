"""The seller's screens: practise a drill, roleplay a buyer, history, progress, the written
agenda and "my next call"."""
