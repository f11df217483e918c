package sys

// Kind names the system's kind.
const Kind = windowsKind
