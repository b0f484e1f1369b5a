"""Use cases. Each public function takes a unit of work and plain values and returns plain values."""
