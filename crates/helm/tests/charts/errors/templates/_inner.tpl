{{- define "errors.inner" -}}{{ .Values.missing.deeper }}{{- end -}}
