"""Use cases. Each public function opens its own transaction and takes plain values."""
