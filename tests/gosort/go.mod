module policyc.dev/gosorttest

go 1.22
