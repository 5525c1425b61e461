"""The live team quiz: pure rules (scoring, quiz), the Redis store, and the socket layer."""
