{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "harvis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name, or release-chart when the release name lacks the chart's. */}}
{{- define "harvis.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "harvis.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "harvis.labels" -}}
helm.sh/chart: {{ include "harvis.chart" . }}
app.kubernetes.io/name: {{ include "harvis.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels; call with (dict "root" $ "component" "harvis"). */}}
{{- define "harvis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "harvis.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "harvis.serviceName" -}}
{{- default (include "harvis.fullname" .) .Values.harvis.service.name -}}
{{- end -}}

{{/* The LLM endpoint: ollama.url, else the in-chart Service (http://ollama:11434). */}}
{{- define "harvis.ollamaUrl" -}}
{{- if .Values.ollama.url -}}
{{- .Values.ollama.url -}}
{{- else if .Values.ollama.enabled -}}
{{- printf "http://%s:%v" .Values.ollama.service.name .Values.ollama.service.port -}}
{{- else -}}
{{- fail "ollama.enabled is false: set ollama.url to the Ollama that Harvis should use" -}}
{{- end -}}
{{- end -}}

{{- define "harvis.apiKeysSecret" -}}
{{- default (printf "%s-api-keys" (include "harvis.fullname" .)) .Values.harvis.apiKeys.existingSecret -}}
{{- end -}}

{{/* Seconds of a harvis duration ("30s", "5m", "1h", "1500ms", or a bare number of seconds). */}}
{{- define "harvis.durationSeconds" -}}
{{- $d := toString . | trim -}}
{{- if not (regexMatch "^[0-9]+(ms|s|m|h)?$" $d) -}}
{{- fail (printf "cannot read the duration %q (use e.g. 30s, 5m, 1h)" $d) -}}
{{- end -}}
{{- $n := regexFind "^[0-9]+" $d | int -}}
{{- $unit := trimPrefix (toString $n) $d -}}
{{- if eq $unit "ms" -}}{{ div (add $n 999) 1000 }}
{{- else if eq $unit "m" -}}{{ mul $n 60 }}
{{- else if eq $unit "h" -}}{{ mul $n 3600 }}
{{- else -}}{{ $n }}
{{- end -}}
{{- end -}}

{{/* harvis.yaml: the values' config with the Ollama endpoint filled in. */}}
{{- define "harvis.configYaml" -}}
{{- $cfg := deepCopy .Values.harvis.config -}}
{{- $ollama := default (dict) $cfg.ollama -}}
{{- $_ := set $ollama "url" (include "harvis.ollamaUrl" .) -}}
{{- $_ := set $cfg "ollama" $ollama -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* A persistent volume claim; call with (dict "root" $ "name" "..." "p" <persistence values>). */}}
{{- define "harvis.pvc" -}}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ .name }}
  labels:
    {{- include "harvis.labels" .root | nindent 4 }}
  annotations:
    # Survives `helm uninstall` and upgrades: models and state are expensive to rebuild.
    helm.sh/resource-policy: keep
spec:
  accessModes:
    {{- toYaml .p.accessModes | nindent 4 }}
  {{- if .p.storageClass }}
  storageClassName: {{ if eq .p.storageClass "-" }}""{{ else }}{{ .p.storageClass | quote }}{{ end }}
  {{- end }}
  resources:
    requests:
      storage: {{ .p.size | quote }}
{{- end -}}
