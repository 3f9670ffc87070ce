{{- define "stream.override" -}}from-parent{{- end -}}
{{- define "stream.name" -}}{{ .Release.Name }}-{{ .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
