"""党建盲盒: task-card decks, draws, completion and review."""
