"""course/records"""
