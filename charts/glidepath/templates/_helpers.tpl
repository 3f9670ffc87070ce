{{/* Labels on every object. */}}
{{- define "glidepath.labels" -}}
app.kubernetes.io/name: glidepath
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: glidepath-{{ .Chart.Version }}
{{- end }}

{{/* Labels that select the controller's pods (never change them: selectors are immutable). */}}
{{- define "glidepath.selectorLabels" -}}
app.kubernetes.io/name: glidepath
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount the controller runs as. */}}
{{- define "glidepath.serviceAccountName" -}}
{{- if .Values.serviceAccount.name }}{{ .Values.serviceAccount.name }}{{ else }}{{ .Release.Name }}{{ end }}
{{- end }}

{{/* The binding subject: the controller's ServiceAccount. */}}
{{- define "glidepath.subjects" -}}
- kind: ServiceAccount
  name: {{ include "glidepath.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}
