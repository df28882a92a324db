"""Contact routing: titles, routing rules, the research model, classify and contact I/O."""
