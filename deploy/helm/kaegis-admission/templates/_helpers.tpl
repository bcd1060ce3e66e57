{{/* Chart name, overridable. */}}
{{- define "kaegis-admission.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Object name: fullnameOverride, else the release name when it already contains
the chart name (`helm install kaegis-admission` gives kaegis-admission), else
<release>-<chart>. The Service of this name is what the serving certificate
must be issued for: <fullname>.<namespace>.svc.
*/}}
{{- define "kaegis-admission.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "kaegis-admission.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kaegis-admission.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kaegis-admission.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kaegis-admission.labels" -}}
{{ include "kaegis-admission.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: kaegis
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kaegis-admission.priorityClassName" -}}
{{- default (printf "%s-critical" (include "kaegis-admission.fullname" .)) .Values.priorityClass.name }}
{{- end }}

{{/* repository:tag, or repository:tag@digest when a digest is given. */}}
{{- define "kaegis-admission.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- if not (regexMatch "^sha(256|512):[0-9a-f]+$" .Values.image.digest) }}
{{- fail "image.digest must look like sha256:<hex digits>" }}
{{- end }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "kaegis-admission.pullPolicy" -}}
{{- if .Values.image.pullPolicy }}
{{- .Values.image.pullPolicy }}
{{- else if .Values.image.digest }}
{{- "IfNotPresent" }}
{{- else }}
{{- "Always" }}
{{- end }}
{{- end }}

{{/* Namespaces never intercepted: kube-system, the release's, and exemptions. */}}
{{- define "kaegis-admission.excludedNamespaces" -}}
{{- concat (list "kube-system" .Release.Namespace) .Values.exemptions.namespaces | uniq | toJson }}
{{- end }}

{{/* The webhooks' namespaceSelector (kubernetes.io/metadata.name is set by the API server). */}}
{{- define "kaegis-admission.namespaceSelector" -}}
namespaceSelector:
  matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: {{ include "kaegis-admission.excludedNamespaces" . }}
{{- end }}

{{/* The webhook's config file (see values.yaml `policy`). */}}
{{- define "kaegis-admission.config" -}}
admission:
  enforce: {{ .Values.policy.enforce | default "privileged" }}
  warn: {{ .Values.policy.warn | default "privileged" }}
  audit: {{ .Values.policy.audit | default "privileged" }}
  exemptions:
    namespaces: {{ include "kaegis-admission.excludedNamespaces" . }}
{{- end }}

{{/* caBundle checked for base64: a wrong bundle fails every call, closed. */}}
{{- define "kaegis-admission.caBundle" -}}
{{- $ca := .Values.caBundle | trim }}
{{- if not (regexMatch "^[A-Za-z0-9+/]+={0,2}$" $ca) }}
{{- fail "caBundle must be the base64 of the CA certificate (PEM), as `kaegis admission certs` prints it, on one line" }}
{{- end }}
{{- if not (contains "-----BEGIN CERTIFICATE-----" (b64dec $ca)) }}
{{- fail "caBundle decodes to no PEM certificate: give the base64 of the CA's PEM file" }}
{{- end }}
{{- $ca }}
{{- end }}
