package kern

func sum(a, b int) int
