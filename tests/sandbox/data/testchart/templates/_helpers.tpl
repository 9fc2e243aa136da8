{{- define "testchart.labels" -}}
app.kubernetes.io/name: testchart
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
{{- define "testchart.selector" -}}
app.kubernetes.io/name: testchart
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
