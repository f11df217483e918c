module github.com/zmqkit/zmqkit

go 1.26
