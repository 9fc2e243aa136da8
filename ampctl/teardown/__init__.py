"""`ampctl teardown`: remove what ampctl created, in reverse order, touching only what it marked as its own."""
