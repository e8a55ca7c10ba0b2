module training-operator-ci/lab/runc-lab

go 1.24
