{{- define "lib.labels" -}}
app: {{ .Chart.Name }}
release: {{ .Release.Name }}
{{- end -}}
{{- define "stream.override" -}}from-lib{{- end -}}
