package main

import (
	"encoding/json"
	"time"

	utiljson "k8s.io/apimachinery/pkg/util/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func condition(conditionType string, status bool, reason, message string) metav1.Condition {
	value := metav1.ConditionFalse
	if status {
		value = metav1.ConditionTrue
	}
	return metav1.Condition{Type: conditionType, Status: value, Reason: reason, Message: message}
}

// conditions builds an object's top-level status conditions, keeping lastTransitionTime from the
// stored ones whose status did not change, so that an unchanged object is never rewritten.
func conditions(raw *unstructured.Unstructured, generation int64, wanted ...metav1.Condition) []interface{} {
	existing, _, _ := unstructured.NestedSlice(raw.Object, "status", "conditions")
	return conditionsFor(existing, generation, wanted...)
}

func existingListenerConditions(raw *unstructured.Unstructured, listenerName string) []interface{} {
	listeners, _, _ := unstructured.NestedSlice(raw.Object, "status", "listeners")
	for _, entry := range listeners {
		listener, _ := entry.(map[string]interface{})
		if listener["name"] == listenerName {
			conds, _ := listener["conditions"].([]interface{})
			return conds
		}
	}
	return nil
}

func conditionsFor(existing []interface{}, generation int64, wanted ...metav1.Condition) []interface{} {
	previous := map[string]map[string]interface{}{}
	for _, entry := range existing {
		if c, ok := entry.(map[string]interface{}); ok {
			if conditionType, ok := c["type"].(string); ok {
				previous[conditionType] = c
			}
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	out := make([]interface{}, 0, len(wanted))
	for _, c := range wanted {
		transition := now
		if old, ok := previous[c.Type]; ok && old["status"] == string(c.Status) {
			if stamp, ok := old["lastTransitionTime"].(string); ok {
				transition = stamp
			}
		}
		out = append(out, map[string]interface{}{
			"type": c.Type, "status": string(c.Status), "reason": c.Reason, "message": c.Message,
			"observedGeneration": generation, "lastTransitionTime": transition,
		})
	}
	return out
}

func unstructuredCopy(in interface{}, out interface{}) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	// Whole numbers come back as int64, as in objects read from the API server.
	return utiljson.Unmarshal(data, out)
}
