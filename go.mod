module convnet

go 1.26
