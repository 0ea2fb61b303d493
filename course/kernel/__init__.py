"""course/kernel"""
