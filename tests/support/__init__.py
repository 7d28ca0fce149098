"""What the tests share, one module per purpose: `definitions` (small definition documents), `data` (data
directories built once and copied, and what the tests read back), `web` (the web tests' client helpers),
`server` (`forms-app serve` in its own process)."""
