{{/* Names, labels and images shared by every template. */}}
{{- define "cost-analyzer.fullname" -}}
{{- if .Values.fullnameOverride -}}{{ .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end -}}
{{- end -}}

{{- define "cost-analyzer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ .Values.serviceAccount.name | default (include "cost-analyzer.fullname" .) }}
{{- else -}}{{ .Values.serviceAccount.name | default "default" }}
{{- end -}}
{{- end -}}

{{- define "prometheus.server.fullname" -}}{{ printf "%s-prometheus-server" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}

{{- define "prometheus.serviceAccountName.server" -}}
{{- $sa := .Values.prometheus.serviceAccounts.server -}}
{{- if $sa.create -}}{{ $sa.name | default (include "prometheus.server.fullname" .) }}
{{- else -}}{{ $sa.name | default "default" }}
{{- end -}}
{{- end -}}

{{- define "cost-analyzer.labels" -}}
app.kubernetes.io/name: cost-analyzer
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "cost-analyzer.selectorLabels" -}}
app.kubernetes.io/name: cost-analyzer
app.kubernetes.io/instance: {{ .Release.Name }}
app: cost-analyzer
{{- end -}}

{{/* image: (list <string or {repository, tag}> <default tag>) */}}
{{- define "cost-analyzer.image" -}}
{{- $image := index . 0 -}}{{- $tag := index . 1 -}}
{{- if kindIs "map" $image -}}{{ $image.repository }}:{{ $image.tag | default $tag }}
{{- else if regexMatch ":[^/]+$" (toString $image) -}}{{ $image }}
{{- else -}}{{ $image }}:{{ $tag }}
{{- end -}}
{{- end -}}

{{- define "cost-analyzer.imageTag" -}}{{ .Values.imageVersion | default (printf "prod-%s" .Chart.AppVersion) }}{{- end -}}

{{- define "cost-analyzer.federated" -}}{{ if .Values.kubecostModel.federatedStorageConfigSecret }}true{{ end }}{{- end -}}

{{/* Object-store wiring shared by cost-model, the aggregator and cloud-cost. */}}
{{- define "cost-analyzer.federatedEnv" -}}
{{- if include "cost-analyzer.federated" . }}
- name: FEDERATED_STORE_CONFIG
  value: /var/configs/etl/federated/federated-store.yaml
{{- end }}
{{- if .Values.federatedETL.federatedCluster }}
- name: FEDERATED_CLUSTER
  value: "true"
{{- end }}
{{- end -}}

{{- define "cost-analyzer.federatedMounts" -}}
{{- if include "cost-analyzer.federated" . }}
- name: federated-storage-config
  mountPath: /var/configs/etl/federated
  readOnly: true
{{- end }}
{{- with (.Values.kubecostProductConfigs.productKey | default dict).secretname }}
- name: productkey-secret
  mountPath: /var/configs/productkey
  readOnly: true
{{- end }}
{{- end -}}

{{- define "cost-analyzer.federatedVolumes" -}}
{{- with .Values.kubecostModel.federatedStorageConfigSecret }}
- name: federated-storage-config
  secret:
    secretName: {{ . }}
{{- end }}
{{- with (.Values.kubecostProductConfigs.productKey | default dict).secretname }}
- name: productkey-secret
  secret:
    secretName: {{ . }}
{{- end }}
{{- end -}}

{{- define "cost-analyzer.sigv4proxy" -}}
- name: sigv4proxy
  image: {{ .Values.sigV4Proxy.image }}
  imagePullPolicy: {{ .Values.sigV4Proxy.imagePullPolicy | default "IfNotPresent" }}
  args:
    - --name
    - {{ .Values.sigV4Proxy.name | quote }}
    - --region
    - {{ .Values.sigV4Proxy.region | quote }}
    - --host
    - {{ .Values.sigV4Proxy.host | quote }}
    {{- with .Values.sigV4Proxy.role_arn }}
    - --role-arn
    - {{ . | quote }}
    {{- end }}
    - --port
    - {{ printf ":%v" .Values.sigV4Proxy.port | quote }}
  ports:
    - name: aws-sigv4-proxy
      containerPort: {{ .Values.sigV4Proxy.port | int }}
  env:
    - name: AGENT_LOCAL_PORT
      value: {{ .Values.sigV4Proxy.port | quote }}
    {{- with .Values.sigV4Proxy.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.sigV4Proxy.resources }}
  resources: {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
