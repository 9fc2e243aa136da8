{{/* The 2.x aggregator and cloud-cost containers: in the cost-analyzer pod (singlepod) or on their own. */}}
{{- define "cost-analyzer.aggregatorContainer" -}}
- name: aggregator
  image: {{ include "cost-analyzer.image" (list (.Values.kubecostAggregator.fullImageName | default .Values.kubecostAggregator.image | default .Values.kubecostModel.image) (include "cost-analyzer.imageTag" .)) }}
  args: [waterfowl]
  ports:
    - name: tcp-api
      containerPort: 9004
  env:
    - name: CLUSTER_ID
      value: {{ .Values.prometheus.server.global.external_labels.cluster_id | quote }}
    {{- include "cost-analyzer.federatedEnv" . | nindent 4 }}
  volumeMounts:
    - name: persistent-configs
      mountPath: /var/configs
    {{- include "cost-analyzer.federatedMounts" . | nindent 4 }}
{{- end -}}

{{- define "cost-analyzer.cloudCostContainer" -}}
- name: cloud-cost
  image: {{ include "cost-analyzer.image" (list (.Values.kubecostModel.fullImageName | default .Values.kubecostModel.image) (include "cost-analyzer.imageTag" .)) }}
  args: [cloud-cost]
  ports:
    - name: tcp-cloud-cost
      containerPort: 9005
  env:
    {{- include "cost-analyzer.federatedEnv" . | nindent 4 }}
  volumeMounts:
    {{- include "cost-analyzer.federatedMounts" . | nindent 4 }}
{{- end -}}

{{- define "cost-analyzer.aggregatorContainers" -}}
{{ include "cost-analyzer.aggregatorContainer" . }}
{{ include "cost-analyzer.cloudCostContainer" . }}
{{- end -}}
