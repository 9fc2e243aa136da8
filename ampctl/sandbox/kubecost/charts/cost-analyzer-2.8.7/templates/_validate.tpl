{{/* Render-time checks the 2.x chart makes. */}}
{{- define "cost-analyzer.validate" -}}
{{- $method := .Values.kubecostAggregator.deployMethod -}}
{{- if not (has $method (list "singlepod" "statefulset" "disabled" "agentOnly")) -}}
{{- fail (printf "kubecostAggregator.deployMethod must be one of singlepod, statefulset, disabled, agentOnly (got %q)" $method) -}}
{{- end -}}
{{- if and (include "cost-analyzer.federated" .) (eq (toString .Values.prometheus.server.global.external_labels.cluster_id) "cluster-one") -}}
{{- fail "\n\nWhen using a federated object store, prometheus.server.global.external_labels.cluster_id must be set to a unique value for every cluster (it is still the default cluster-one)." -}}
{{- end -}}
{{- end -}}
