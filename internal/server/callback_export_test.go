package server

// SignFormStartForTest signs a public form's start time (tests only).
var SignFormStartForTest = signFormStart
